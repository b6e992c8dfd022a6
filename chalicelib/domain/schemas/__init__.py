"""Declared request and response shapes (pydantic). They validate input and generate the OpenAPI spec."""
