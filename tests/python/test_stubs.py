"""The type stubs installed beside the module name exactly what the module has, and every
binding has a docstring (what an editor shows)."""

import ast
import inspect
import os

import tantra_weights as tw


def stub_tree():
    path = os.path.join(os.path.dirname(tw.__file__), "tantra_weights.pyi")
    assert os.path.exists(path), "tantra_weights.pyi is not beside the module"
    with open(path) as f:
        return ast.parse(f.read())


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_stubs_match_the_module():
    tree = stub_tree()
    top = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    module_names = public(n for n in dir(tw) if callable(getattr(tw, n)))
    assert public(top) == module_names
    for name, node in top.items():
        if not isinstance(node, ast.ClassDef) or issubclass(getattr(tw, name), BaseException):
            continue
        stubbed = public(item.name for item in node.body if isinstance(item, ast.FunctionDef))
        bound = public(n for n, v in vars(getattr(tw, name)).items())
        assert stubbed == bound, name


def test_stub_parameters_match_the_bindings():
    tree = stub_tree()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            doc = getattr(tw, node.name).__doc__
            stub_params = [a.arg for a in node.args.args]
            # pybind11 writes the signature as the docstring's first line.
            assert doc.startswith(node.name + "(" + ", ".join(stub_params[:1])), (node.name, doc.splitlines()[0])
            for param in stub_params:
                assert param + ":" in doc.splitlines()[0], (node.name, param)


def test_every_binding_has_a_docstring():
    for name in public(dir(tw)):
        value = getattr(tw, name)
        if not callable(value):
            continue
        assert inspect.getdoc(value), name
        if inspect.isclass(value) and not issubclass(value, BaseException):
            for member, attr in vars(value).items():
                if member.startswith("_"):
                    continue
                doc = attr.__doc__ if not isinstance(attr, property) else attr.fget.__doc__ or attr.__doc__
                assert doc and len(doc.splitlines()[-1].strip()) > 0, f"{name}.{member}"
