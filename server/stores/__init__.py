"""A store's life (activation, pause, uninstallation) and its sync settings."""
