"""``NamedTuple`` for the core's records, without ``typing`` at run time.

A start that only resolves a model would otherwise import ``typing`` for its records alone, and
with it ``re``, ``enum``, ``functools`` and more: a third of the start. Type checkers see
``typing.NamedTuple`` itself. At run time a class written against this one is the class
``typing.NamedTuple`` makes: a ``collections.namedtuple`` with the class body's field order,
defaults, docstring, methods and properties, pickled by its module and name.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    _PROHIBITED = frozenset(
        {
            "__new__",
            "__init__",
            "__slots__",
            "__getnewargs__",
            "_fields",
            "_field_defaults",
            "_make",
            "_replace",
            "_asdict",
            "_source",
        }
    )
    """What ``typing.NamedTuple`` refuses to let a class body define."""
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(mcs, typename, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, typename, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError("can only inherit from a NamedTuple type")
            annotations = namespace.get("__annotations__", {})
            defaults = []
            for field in annotations:
                if field in namespace:
                    defaults.append(field)
                elif defaults:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                        f"{'s' if len(defaults) > 1 else ''} {', '.join(defaults)}"
                    )
            cls = namedtuple(
                typename, list(annotations), defaults=[namespace[n] for n in defaults], module=namespace["__module__"]
            )
            cls.__annotations__ = cls.__new__.__annotations__ = dict(annotations)
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in cls._fields:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base class of a record: ``class Point(NamedTuple): x: int; y: int = 0``."""
