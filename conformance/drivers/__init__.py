"""Action drivers: how the harness makes the SUT (or a person at it) do things."""
