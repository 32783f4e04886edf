import tomllib


def test_every_server_package_is_listed_for_installation(project_root):
    """pyproject lists packages by hand (migrations/ and plugin_bridge/ are mapped into
    server.migrations and server.plugin_bridge)."""
    listed = set(
        tomllib.loads((project_root / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    on_disk = {
        ".".join(init.parent.relative_to(project_root).parts)
        for init in (project_root / "server").rglob("__init__.py")
    }
    assert on_disk | {"server.migrations", "server.plugin_bridge"} == listed
