"""PynamoDB models and the queries the services need. Every key leads with the tenant id."""
