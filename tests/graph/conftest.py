import pytest

from weibao.graph.linking import EntityLinker
from weibao.graph.ontology import load_ontology


@pytest.fixture(scope="session")
def ontology():
    return load_ontology()


@pytest.fixture(scope="session")
def linker(ontology):
    return EntityLinker(ontology)
