"""Webhook topics, their WordPress hooks and validation (``wc_is_webhook_valid_topic``).

Sourced: ``WC_Webhook::get_topic_hooks`` and ``wc-webhook-functions.php``. Assumed for 7.4:
``order.deleted``/``order.restored`` also list the HPOS hooks ``woocommerce_trash_order`` /
``woocommerce_untrash_order``; ``product.published`` is not yet a valid topic.
"""

from __future__ import annotations

STATUSES = ("active", "paused", "disabled")
RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
_BLOCKED = (
    "action.woocommerce_login_credentials",
    "action.woocommerce_product_csv_importer_check_import_file_path",
    "action.woocommerce_webhook_should_deliver",
)
_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": [
        "user_register",
        "woocommerce_created_customer",
        "woocommerce_new_customer",
    ],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "customer.restored": [],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}


def is_valid_topic(topic: str) -> bool:
    """``wc_is_webhook_valid_topic``."""
    if topic in _BLOCKED:
        return False
    if topic.startswith(("action.woocommerce_", "action.wc_")):
        return True
    resource, _, event = topic.partition(".")
    return resource in RESOURCES and event in EVENTS


def topic_hooks(topic: str) -> list[str]:
    """The hooks a topic listens to (``action.X`` listens to ``X``)."""
    if topic.startswith("action."):
        return [topic.removeprefix("action.")]
    return list(_HOOKS.get(topic, []))
