"""Routing across providers: retries, fallback, cooldowns and shared state."""
