"""Connectors: one sub-package per external system, each with its client and mappers of the
wire format. They import no Flask, no rq and no models; what they need is passed in."""
