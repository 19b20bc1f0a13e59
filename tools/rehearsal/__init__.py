"""The deploy rehearsal: `cdktf deploy '*'` through the real engine against stand-in providers."""
