// The server's HTTP connector (where its Browser is): graphcdm demo prints the address.
SHOW SETTINGS YIELD name, value
WHERE name IN ['server.http.enabled', 'server.http.listen_address',
               'server.http.advertised_address']
RETURN name, value
