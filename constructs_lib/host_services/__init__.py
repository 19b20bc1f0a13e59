"""The platform services of a host (gateway, certificates, metrics, policy, secrets, delivery):
one construct per service, each a pinned chart plus the platform's own objects for it."""
