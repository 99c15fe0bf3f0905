// Service hosts in host aggregates with an id in $ids or a name in $names (all aggregates when $all), for Watcher audit scopes.
// param: ids = [] -- aggregate ids
// param: names = [] -- aggregate names
// param: all = false -- every aggregate ('*')
MATCH (c:ComputeNode)-[:MEMBER_OF]->(a:Aggregate)
WHERE c.hostname IS NOT NULL AND ($all OR a.id IN $ids OR a.name IN $names)
RETURN DISTINCT c.hostname AS hostname
ORDER BY hostname
