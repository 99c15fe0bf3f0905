"""[nova]: how the resync reaches the nova (and placement) API."""

from oslo_config import cfg

GROUP = "nova"

OPTS = [
    cfg.StrOpt("cloud", default="",
               help="Name of a cloud in clouds.yaml (openstacksdk). When empty, the auth "
                    "options below or the OS_* environment are used."),
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
    cfg.BoolOpt("use_placement", default=True,
                help="Read reserved amounts and allocation ratios from placement "
                     "inventories; fall back to hypervisor figures when unavailable."),
]
