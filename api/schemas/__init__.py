"""Request and response bodies, one module per area: ``XCreate`` in, ``XPublic`` out."""
