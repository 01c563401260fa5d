"""Training: turn a function, a script or a notebook into a (distributed) job."""
