"""Platform descriptions: loading, validation, derived layout, code generation."""
