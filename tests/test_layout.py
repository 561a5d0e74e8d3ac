"""The layout rules of the repository: ``tests/`` mirrors ``vtp/`` one test file per module,
and no library module imports the test helpers of ``vtp.testing``."""

import ast
from pathlib import Path

from vtp.testing import repo_root

ROOT = repo_root()
PACKAGE = ROOT / 'vtp'
# vtp.testing holds the helpers of the tests: every test that imports one exercises it.
HELPERS = PACKAGE / 'testing'


def library_modules() -> list:
    """Every module of vtp but the package ``__init__`` files and vtp.testing, as paths."""
    return sorted(
        path
        for path in PACKAGE.rglob('*.py')
        if path.name != '__init__.py' and HELPERS not in path.parents
    )


def mirrored_test(module: Path) -> Path:
    """``vtp/a/b/c.py`` -> ``tests/test_a/test_b/test_c.py``."""
    parts = module.relative_to(PACKAGE).parts
    return ROOT.joinpath('tests', *(f'test_{part}' for part in parts))


def test_every_module_has_its_mirrored_test_file():
    missing = [
        f'{module.relative_to(ROOT)} -> {mirrored_test(module).relative_to(ROOT)}'
        for module in library_modules()
        if not mirrored_test(module).is_file()
    ]
    assert not missing, 'modules without their test file:\n' + '\n'.join(missing)


def test_mirror_maps_a_module_to_its_test_path():
    module = PACKAGE / 'models' / 'fusion' / 'concat_fusion.py'
    expected = ROOT / 'tests' / 'test_models' / 'test_fusion' / 'test_concat_fusion.py'
    assert mirrored_test(module) == expected


def test_no_library_module_imports_vtp_testing():
    importers = []
    inits = [path for path in PACKAGE.rglob('__init__.py') if HELPERS not in path.parents]
    for module in library_modules() + sorted(inits):
        for node in ast.walk(ast.parse(module.read_text(encoding='utf-8'))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == 'vtp.testing' or name.startswith('vtp.testing.') for name in names):
                importers.append(str(module.relative_to(ROOT)))
    assert not importers, f'library modules importing vtp.testing: {importers}'
