"""NetworkPolicy reachability, evaluated offline: the semantics and the host view."""
