"""The API reference at /api/docs/: a page drawn on the server from the API's own schema.

The expectations come from the schema drf-spectacular makes, not from a list written here,
so a new address or parameter must show up on the page without changing these tests.
"""

import copy
import html
import re

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from config import api_docs

pytestmark = pytest.mark.django_db

HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)


def make_schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in api_docs.METHODS:
            if method in item:
                yield method, path, item[method]


@pytest.fixture
def fresh_reference():
    """The page's schema is made once per process: make it again around a test that changes
    how it is made, so that no other test sees the change."""
    api_docs.api_reference.cache_clear()
    yield
    api_docs.api_reference.cache_clear()


def docs(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    # Long names may wrap after "_" on a narrow screen (<wbr>): the text is the same.
    return response.content.decode().replace("<wbr>", "")


def as_html(text):
    """Text from the schema as the page shows it: escaped, with `code` in <code>."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(" ".join(text.split())))


def main(page):
    return page.split('id="main-content"', 1)[1].split("</main>", 1)[0]


def test_every_operation_in_the_schema_has_a_heading_under_its_tag(client):
    schema = make_schema()
    page = main(docs(client))
    assert len(list(operations(schema))) >= 8  # the four read-only viewsets, list and one
    groups = {}  # tag -> the part of the page under its h2
    for part in re.split(r"(?=<h2\b)", page)[1:]:
        groups[re.sub(r"<[^>]+>", "", HEADING.match(part).group(2)).strip().lower()] = part
    for method, path, operation in operations(schema):
        heading = re.escape(html.escape(f"{method.upper()} {path}"))
        tag = operation["tags"][0].lower()
        assert re.search(rf"<h3\b[^>]*>{heading}</h3>", groups[tag]), (method, path, tag)
        # ... and in the contents list, linked to that heading
        anchor = api_docs.slug(operation["operationId"])
        assert f'href="#op-{anchor}"' in page and f'id="op-{anchor}"' in page
        if operation.get("summary"):
            assert html.escape(operation["summary"]) in groups[tag]
    assert page.count("<h3") == len(list(operations(schema)))


def test_headings_go_down_one_level_at_a_time(client):
    levels = [int(level) for level, _ in HEADING.findall(main(docs(client)))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert 2 in levels and 3 in levels


def test_each_parameter_is_in_a_table_with_its_choices(client):
    schema = make_schema()
    page = docs(client)
    with_choices = 0
    for method, path, operation in operations(schema):
        section = page.split(f'id="op-{api_docs.slug(operation["operationId"])}"', 1)[1]
        section = section.split("<h3", 1)[0].split("<h2", 1)[0]
        for parameter in operation.get("parameters", []):
            row = re.search(
                rf"<tr[^>]*>\s*<th[^>]*><code>{re.escape(parameter['name'])}</code></th>(.*?)</tr>",
                section,
                re.S,
            )
            assert row, (method, path, parameter["name"])
            cells = row.group(1)
            where = {"path": "Path", "query": "Query string"}[parameter["in"]]
            assert f"{where}, {'required' if parameter.get('required') else 'optional'}" in cells
            for value in parameter["schema"].get("enum", []):
                with_choices += 1
                assert f"<code>{html.escape(value)}</code>" in cells, (parameter["name"], value)
    assert with_choices, "the schema has parameters with choices (sort, status, kind)"
    # A choice's label is shown beside its value, from drf-spectacular's description.
    assert "<code>newest</code> (Newest first)" in page


def test_answers_and_the_fields_of_a_successful_answer(client):
    schema = make_schema()
    components = schema["components"]["schemas"]
    page = docs(client)
    pages_of_results = 0
    for _method, _path, operation in operations(schema):
        section = page.split(f'id="op-{api_docs.slug(operation["operationId"])}"', 1)[1]
        section = section.split("<h3", 1)[0].split("<h2", 1)[0]
        for code, answer in operation["responses"].items():
            assert re.search(rf"<th[^>]*>{code} ", section), (operation["operationId"], code)
            if answer.get("description"):
                assert as_html(answer["description"]) in section
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success].get("content")
        if not content:  # 204 No Content
            continue
        body = content["application/json"]["schema"]
        ref = body.get("$ref") or body.get("items", {}).get("$ref")
        name = ref.rsplit("/", 1)[1]
        if set(components[name].get("properties", {})) >= {"next", "previous", "results"}:
            pages_of_results += 1
            if "count" in components[name]["properties"]:  # numbered pages, before v1
                assert "A page of results is an object with <code>count</code>" in section
            else:  # cursor pages
                assert "There is no count of all results" in section
            for word in ("<code>next</code>", "<code>previous</code>", "<code>results</code>"):
                assert word in section
            name = components[name]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
        for field, node in components[name]["properties"].items():
            if not node.get("writeOnly"):
                assert f"<code>{field}</code>" in section, (operation["operationId"], field)
        assert f"{name} object" in section
    assert pages_of_results >= 2  # challenges and listings (under /api/ and /api/v1/)


def test_the_introduction_links_to_the_schema_and_gives_the_rate_limit(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "30/hour"},
    }
    page = docs(client)
    assert f'href="{reverse("api-schema")}"' in page
    assert "Up to 30 requests an hour from a client that is not signed in" in page
    assert "never asks for or checks a password" in page
    assert "Swagger Editor" in page  # a tool to load the schema into


def test_the_reference_links_the_viewers_and_says_plainly_what_they_lack(client):
    page = docs(client)
    assert f'href="{reverse("api-swagger")}"' in page and f'href="{reverse("api-redoc")}"' in page
    assert "they need JavaScript and are not fully accessible" in page
    assert "This page has everything they show, and works without JavaScript" in page


def test_the_page_only_answers_reading(client):
    assert client.post(reverse("api-docs")).status_code == 405


@pytest.mark.parametrize("rate", [None, "lots", "10/fortnight"])
def test_a_rate_it_cannot_read_is_left_out(client, settings, rate):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": rate},
    }
    assert api_docs.anonymous_rate() == ""
    assert "Rate limit" not in docs(client)


def test_the_page_makes_few_queries(client, member, django_assert_max_num_queries):
    docs(client)  # the schema is made once per process, not on each request
    with django_assert_max_num_queries(0):
        docs(client)
    client.force_login(member)
    with django_assert_max_num_queries(2):  # the session and the user
        page = docs(client)
    assert "Sign out" in page


def test_text_from_the_schema_is_escaped(client, monkeypatch, fresh_reference):
    schema = make_schema()
    changed = copy.deepcopy(schema)
    changed["info"]["description"] = 'Hello <script>alert("info")</script> and `<b>x</b>`'
    method, path, operation = next(operations(changed))
    operation["summary"] = "<img src=x onerror=alert(1)>"
    operation["parameters"][0]["description"] = "<em>bold</em> claim"
    monkeypatch.setattr(
        api_docs,
        "SchemaGenerator",
        lambda: type("Generator", (), {"get_schema": lambda self, **kwargs: changed})(),
    )
    page = docs(client)
    assert "<script>alert" not in page and "<img src=x" not in page and "<em>bold" not in page
    assert "Hello &lt;script&gt;alert(&quot;info&quot;)&lt;/script&gt; and" in page
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;em&gt;bold&lt;/em&gt; claim" in page


def test_the_schema_is_made_once_per_process(client, monkeypatch, fresh_reference):
    made = []
    real = api_docs.SchemaGenerator

    def counting():
        made.append(1)
        return real()

    monkeypatch.setattr(api_docs, "SchemaGenerator", counting)
    docs(client)
    docs(client)
    assert made == [1]


def test_describe_schema_follows_refs_and_lists_untagged_operations():
    schema = {
        "info": {"title": "T", "version": "2"},
        "paths": {
            "/things/": {
                "get": {
                    "operationId": "things_list",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Thing"},
                                    }
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "kind": {"allOf": [{"$ref": "#/components/schemas/Kind"}]},
                        "made": {"type": "string", "format": "date", "nullable": True},
                    },
                },
                "Kind": {"type": "string", "enum": ["a", "b"], "description": "* `a` - Apple"},
            }
        },
    }
    described = api_docs.describe_schema(schema)
    [tag] = described["tags"]
    assert tag["name"] == "other"
    [operation] = tag["operations"]
    assert operation["responses"][0]["body"] == "A list of Thing objects"
    assert operation["responses"][0]["description"] == [
        [{"text": "The request worked", "code": False}]
    ]
    result = operation["result"]
    assert result["kind"] == "list" and result["name"] == "Thing"
    kind, made = result["fields"]
    assert [(c["value"], c["label"]) for c in kind["choices"]] == [("a", "Apple"), ("b", "")]
    assert kind["description"] == []
    assert made["type"] == "string (date, YYYY-MM-DD), or null"
    assert api_docs.breakable("last_reviewed_at") == ["last_", "reviewed_", "at"]


V1_SCHEMA = {
    "info": {"title": "T", "version": "1"},
    "tags": [{"name": "listings", "description": "Offers and needs"}],
    "paths": {
        "/api/v1/things/": {
            "get": {
                "operationId": "v1_things_list",
                "tags": ["listings"],
                "security": [{"personalToken": []}, {}],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PaginatedThingList"}
                            }
                        }
                    },
                    "400": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                        "description": "What you sent is not valid",
                    },
                },
            },
            "post": {
                "operationId": "v1_things_create",
                "tags": ["listings"],
                "security": [{"personalToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Thing"},
                            "examples": {
                                "ANeed": {
                                    "summary": "A need",
                                    "value": {"title": "Heat <pumps>", "kind": "need"},
                                }
                            },
                        }
                    },
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                    "403": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        }
                    },
                },
            },
        }
    },
    "components": {
        "schemas": {
            "PaginatedThingList": {
                "type": "object",
                "properties": {
                    "next": {"type": "string", "nullable": True},
                    "previous": {"type": "string", "nullable": True},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                },
            },
            "Thing": {
                "type": "object",
                "required": ["title", "ref"],
                "properties": {
                    "ref": {"type": "string", "readOnly": True},
                    "title": {"type": "string", "maxLength": 80},
                    "kind": {"type": "string", "enum": ["offer", "need"]},
                    "secret": {"type": "string", "writeOnly": True},
                },
            },
            "Error": {
                "type": "object",
                "properties": {"message": {"type": "string"}, "errors": {"type": "object"}},
            },
        }
    },
}


def test_describe_schema_reads_v1_bodies_cursor_pages_errors_and_access():
    [tag] = api_docs.describe_schema(V1_SCHEMA)["tags"]
    assert tag["heading"] == "Listings" and tag["description"] == [
        [{"text": "Offers and needs", "code": False}]
    ]
    listed, created = tag["operations"]
    # A cursor page: no count; the fields shown are those of each result, not write-only ones.
    assert listed["result"]["kind"] == "page" and listed["result"]["counted"] is False
    assert [f["name"] for f in listed["result"]["fields"]] == ["ref", "title", "kind"]
    assert listed["access"] == "public" and created["access"] == "write"
    assert listed["body"] is None
    # The error shape is named as such, and only the successful answer promises fields below.
    assert [r["body"] for r in listed["responses"]] == [
        "A page of results (its fields are below)",
        "An error: message and errors (see Errors, above)",
    ]
    assert [r["body"] for r in created["responses"]] == [
        "A Thing object (its fields are below)",
        "An error: message and errors (see Errors, above)",
    ]
    # What to send: the fields a client sends (not read-only ones), required or not, examples.
    body = created["body"]
    assert body["required"] and body["media"] == "application/json"
    assert [(f["name"], f["required"]) for f in body["fields"]] == [
        ("title", True),
        ("kind", False),
        ("secret", False),
    ]
    assert body["examples"] == [
        {"summary": "A need", "json": '{\n  "title": "Heat <pumps>",\n  "kind": "need"\n}'}
    ]


def test_the_page_shows_what_to_send_and_who_may_call(client, monkeypatch, fresh_reference):
    monkeypatch.setattr(
        api_docs,
        "SchemaGenerator",
        lambda: type("Generator", (), {"get_schema": lambda self, **kwargs: V1_SCHEMA})(),
    )
    page = docs(client)
    post = page.split('id="op-v1-things-create"', 1)[1]
    assert "Needs a token that can read and write (or a signed-in session)." in post
    assert "What to send: application/json" in post
    assert re.search(r"<code>title</code></th>\s*<td[^>]*>string, required</td>", post)
    assert "<code>ref</code>" not in post.split("Answers", 1)[0]  # read-only: not sent
    assert "&quot;title&quot;: &quot;Heat &lt;pumps&gt;&quot;" in post  # escaped JSON
    get = page.split('id="op-v1-things-list"', 1)[1].split('id="op-v1-things-create"', 1)[0]
    assert "Public: no token needed." in get
    assert "There is no count of all results: follow <code>next</code>" in get
    assert "<code>secret</code>" not in get  # write-only: never in an answer


def test_the_schema_groups_v1_by_area_and_the_older_paths_last():
    schema = make_schema()
    tags = [tag["name"] for tag in schema["tags"]]
    assert tags[-1] == "before v1" and "v1" not in tags
    for method, path, operation in operations(schema):
        if path.startswith("/api/v1/"):
            assert operation["tags"][0] != "before v1", (method, path)
        else:
            assert operation["tags"] == ["before v1"], (method, path)
    v1_tags = {op["tags"][0] for _, p, op in operations(schema) if p.startswith("/api/v1/")}
    assert len(v1_tags) >= 3 and not v1_tags & {"v1", "before v1"}, v1_tags
    # Operation ids are those clients were generated with.
    ids = {op["operationId"] for _, _, op in operations(schema)}
    assert {"listings_list", "v1_listings_list"} <= ids


def test_the_reference_lists_v1_first_and_says_what_the_older_paths_are(client):
    page = main(docs(client))
    headings = [re.sub(r"<[^>]+>", "", h).strip() for _, h in HEADING.findall(page)]
    groups = [h for h in headings if not h.startswith(("GET ", "POST ", "PUT ", "PATCH "))]
    assert groups[-1] == "Before v1"
    assert "come in numbered pages" in page.split('id="tag-before-v1"', 1)[1]
    assert page.index("GET /api/v1/listings/") < page.index("GET /api/listings/")
    assert f'href="{reverse("api-tokens")}"' in page
    assert "Authorization: Bearer &lt;token&gt;" in page


def test_long_names_may_wrap_after_an_underscore(client):
    page = client.get(reverse("api-docs")).content.decode()
    assert "<code>last_<wbr>reviewed_<wbr>at</code>" in page
    assert "<code>organisation_<wbr>kind</code>" in page


# Swagger UI and Redoc (their behaviour in a browser: tests/browser/test_api_viewers.py) ----


@pytest.mark.parametrize("name", ["api-swagger", "api-redoc"])
def test_the_viewers_load_their_files_from_this_site_only(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert any("drf_spectacular_sidecar" in source for source in sources), sources
    # Every file and link is on this site: no CDN, no web fonts from Google.
    assert all(source.startswith("/") for source in sources), sources
    assert "googleapis" not in page and "cdn." not in page
    # No inline script or style, which the Content Security Policy would block.
    assert "<style" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert 'lang="en-GB"' in page
    assert "needs JavaScript and is not fully accessible" in page
    assert f'href="{reverse("api-docs")}"' in page


def test_swagger_ui_starts_from_a_script_file_pointing_at_the_v1_schema(client):
    page = client.get(reverse("api-swagger")).content.decode()
    [script] = [s for s in re.findall(r'<script src="([^"]*)"', page) if "script=" in s]
    response = client.get(html.unescape(script))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert f'url: "{reverse("api-v1-schema")}"' in response.content.decode()


def test_redoc_reads_the_v1_schema(client):
    page = client.get(reverse("api-redoc")).content.decode()
    assert f'data-spec-url="{reverse("api-v1-schema")}"' in page


def test_only_the_redoc_page_relaxes_the_content_security_policy(client):
    redoc = client.get(reverse("api-redoc"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in redoc.split(";"))
    assert "blob:" in directives["worker-src"]
    assert "'nonce-" in directives["style-src"] and "'sha256-" in directives["style-src"]
    assert "'unsafe-inline'" not in redoc and "'unsafe-eval'" not in redoc
    for name in ["api-swagger", "api-docs", "home"]:
        policy = client.get(reverse(name))["Content-Security-Policy"]
        assert "blob:" not in policy and "'sha256-" not in policy, name
        assert "style-src 'self';" in policy + ";", name


def test_the_schema_is_served_at_its_v1_address_and_its_old_one(client):
    new = client.get(reverse("api-v1-schema"))
    old = client.get(reverse("api-schema"))
    assert reverse("api-v1-schema") == "/api/v1/schema/"
    assert new.status_code == old.status_code == 200
    assert new.content == old.content and b"openapi: 3" in new.content


def test_wide_tables_scroll_in_named_groups_not_hundreds_of_landmarks(client):
    html = client.get("/api/docs/").content.decode()
    assert 'role="region"' not in html  # a region is a landmark: one per table was too many
    assert 'role="group" aria-label="Parameters of GET /api/v1/' in html
    assert "Long paths" not in html  # the template's comment is not shown
