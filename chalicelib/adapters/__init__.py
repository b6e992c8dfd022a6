"""The edges: AWS clients, the clock and id generation. Nothing else calls AWS except the store."""
