"""[nova]: how the resync reaches the nova (and placement) API."""

from oslo_config import cfg

GROUP = "nova"

OPTS = [
    cfg.StrOpt("cloud", default="",
               help="Name of a cloud in clouds.yaml (openstacksdk). When empty, the auth "
                    "options below or the OS_* environment are used."),
    cfg.StrOpt("auth_type", default="password",
               help="keystoneauth plugin: 'password' for Keystone, 'none' for an "
                    "unauthenticated endpoint (emulators, tests; needs the endpoint "
                    "overrides below)."),
    cfg.StrOpt("auth_url", default="", help="Keystone URL (when no cloud name is given)."),
    cfg.StrOpt("username", default="", help="User name for Keystone."),
    cfg.StrOpt("password", default="", secret=True, help="Password for Keystone. Never logged."),
    cfg.StrOpt("project_name", default="", help="Project to scope to."),
    cfg.StrOpt("user_domain_name", default="Default", help="Domain of the user."),
    cfg.StrOpt("project_domain_name", default="Default", help="Domain of the project."),
    cfg.StrOpt("region_name", default="", help="Region to read."),
    cfg.StrOpt("interface", default="public", choices=["public", "internal", "admin"],
               help="Endpoint interface."),
    cfg.StrOpt("compute_endpoint_override", default="",
               help="Use this compute endpoint instead of the catalog's (tests, emulators)."),
    cfg.StrOpt("placement_endpoint_override", default="",
               help="Use this placement endpoint instead of the catalog's."),
    cfg.StrOpt("cacert", default="", help="CA bundle to verify the API's TLS certificates."),
    cfg.BoolOpt("insecure", default=False, help="Do not verify TLS certificates (testing only)."),
    cfg.IntOpt("api_timeout", default=60, min=1,
               help="Seconds before one nova/placement API request times out."),
    cfg.IntOpt("placement_workers", default=8, min=1,
               help="Parallel requests when reading placement inventories (one per "
                    "compute node)."),
    cfg.BoolOpt("use_placement", default=True,
                help="Read reserved amounts and allocation ratios from placement "
                     "inventories; fall back to hypervisor figures when unavailable."),
]
