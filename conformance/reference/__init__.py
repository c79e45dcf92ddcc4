"""The built-in reference SUTs (built on the `ocpp` library, never on the harness's own engine)."""
