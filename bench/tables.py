"""Moved: the results tables live in the package (`minionerec.results`, Reference 51). Run
`python -m minionerec.results [--readme | --check]`. This name stays only until the lessons import the package."""
from minionerec.results import TABLES, available, load, main, render, update_blocks  # noqa: F401

if __name__ == '__main__':
    main()
