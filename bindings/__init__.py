"""Provider bindings we write by hand, where no prebuilt cdktf package exists (tehcyx/kind)."""
