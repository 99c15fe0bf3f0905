// The schema's indexes (constraints own one each) with their state, for graphcdm status.
SHOW INDEXES YIELD name, state
RETURN name, state
