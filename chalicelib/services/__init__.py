"""Use cases: one function per business action, tying the domain to the store."""
