"""Installs the ``vtp`` package; dependencies are pinned in ``requirements/``."""

from setuptools import find_packages, setup


def read_requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


setup(
    name='vtp',
    version='0.1.0',
    description='Video-text pre-training and fine-tuning toolkit in the OpenMMLab style',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vtp', 'vtp.*']),
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
)
