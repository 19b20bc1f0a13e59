"""The catalog: input, not constructs.

`platform.yaml` is read and validated once, here (`loader`), into frozen models (`model`);
`data_guard` compares it with what the reviewed earlier output deploys; `stack_names` says
which stacks a catalog's entries become. Nothing here builds a construct or starts jsii.
"""
