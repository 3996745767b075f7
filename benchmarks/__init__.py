"""The performance workload of docs/contract.md section 7: the store against the raw drivers."""
