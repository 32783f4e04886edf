"""WooCommerce's arithmetic for order totals: tax rates, coupon discounts and the calculator."""
