"""What a store's use of wooxero costs and allows: its plan and subscription. Today the
trial a store's first activation starts; plans, entitlement and payment providers belong
here as they come."""
