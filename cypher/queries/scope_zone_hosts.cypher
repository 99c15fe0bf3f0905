// Service hosts in the availability zones named in $names (every zoned host when $all), for Watcher audit scopes.
// param: names = [] -- availability zone names
// param: all = false -- every zone ('*')
MATCH (c:ComputeNode)
WHERE c.hostname IS NOT NULL AND c.availability_zone IS NOT NULL
  AND ($all OR c.availability_zone IN $names)
RETURN DISTINCT c.hostname AS hostname
ORDER BY hostname
