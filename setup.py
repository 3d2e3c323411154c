"""Packaging for oautom: standard library only at run time; dev tools in the `dev` extra."""
from setuptools import find_packages, setup

setup(
    name='oautom',
    version='0.1.0',
    description='An educational, in-memory, Airflow-like DAG workflow engine in pure Python.',
    long_description=open('README.md', encoding='utf-8').read(),  # pylint: disable=consider-using-with
    long_description_content_type='text/markdown',
    packages=find_packages(include=['oautom', 'oautom.*']),
    python_requires='>=3.11',
    install_requires=[],
    extras_require={
        'dev': [
            'pytest==9.2.0',
            'pylint==4.1.4',
            'coverage==7.17.3',
        ],
    },
    license='MIT',
)
