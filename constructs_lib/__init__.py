"""Reusable constructs with typed, defaulted props, and the conventions they share.

Constructs know nothing of the catalog: they own their types and named defaults, and the
catalog model maps onto them.
"""
