"""Pure Python: money, aging, invoice state, reminder rules, validation schemas, rendering. No AWS."""
