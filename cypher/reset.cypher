// Empty the graph in chunks (schema stays). Run in an auto-commit transaction.
MATCH (n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
