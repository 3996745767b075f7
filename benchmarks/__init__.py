"""The performance workload of DESIGN.md section 7: the store against the raw drivers."""
