"""Inbound adapters: verify, decrypt and parse platform webhooks into InboundMessage."""
