"""HTTP entrypoints: one blueprint per resource. Each route reads the request, calls one service, returns."""
