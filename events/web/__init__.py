"""Floor 5: HTTP only — parse, call a service, render or answer JSON."""
