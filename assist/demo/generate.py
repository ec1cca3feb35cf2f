class DemoError(Exception):
    pass


def load_demo(residents: int, seed: int, password: str | None) -> str:
    raise DemoError("demo data not written yet")
