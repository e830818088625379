"""The deployable package, built once per test session and shared by the tests that read it.

`chalice package` takes several seconds; every test module that needs the package calls `built_package` (through a
fixture of its own) and gets the same build. The modules mark themselves `xdist_group("package")`, so that under
`--dist loadgroup` they share one worker and so one build.
"""

import json
import zipfile

_built: dict = {}


def built_package(tmp_path_factory) -> dict:
    """{"template_path", "template" (the packaged sam.json), "bundle" (the unzipped deployment.zip)}."""
    if not _built:
        from infra.package import package

        out = tmp_path_factory.mktemp("package")
        template_path = package(out)
        bundle = tmp_path_factory.mktemp("bundle")
        with zipfile.ZipFile(out / "deployment.zip") as archive:
            archive.extractall(bundle)
        _built.update(template_path=template_path, template=json.loads(template_path.read_text()), bundle=bundle)
    return _built


def functions(template: dict) -> dict:
    """The Lambda functions of a template, by logical id: their properties."""
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
