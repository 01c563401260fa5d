"""Model registry: published model versions, their signatures, aliases and serving."""
