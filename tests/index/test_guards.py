"""The in-code authentication checks the walk records as Guard facts (index/authcommon.find_guards)."""

from __future__ import annotations

import ast
import textwrap

import pytest
from backcheck.index.authcommon import find_guards, inline_auth
from backcheck.index.facts import FuncFacts


def guards(source: str):
    tree = ast.parse(textwrap.dedent(source))
    func = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return find_guards(func)


def kinds(source: str) -> list[tuple[str, str, bool]]:
    return [(g.signal, g.kind, g.top) for g in guards(source)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the whole view inside `if authenticated`, anonymous users redirected
        ("""
        def view(request):
            if request.user.is_authenticated:
                return render(request, "x.html")
            else:
                return redirect("login")
        """, ("request.user.is_authenticated", "rejects")),
        # early exit for anonymous users
        ("""
        def view(request):
            if not request.user.is_authenticated:
                return redirect("login")
            return render(request, "x.html")
        """, ("request.user.is_authenticated", "rejects")),
        # no else: an anonymous request falls off the end and gets nothing
        ("""
        def view(request):
            if request.user.is_authenticated:
                data = load()
                return render(request, "x.html", data)
        """, ("request.user.is_authenticated", "wraps")),
        # `pass` in the authenticated branch, rejection in the other
        ("""
        def view(request):
            if request.user.is_authenticated:
                pass
            else:
                return redirect("login")
            return render(request, "x.html")
        """, ("request.user.is_authenticated", "rejects")),
        # a bare return leaves without a response
        ("""
        def view():
            if current_user.is_anonymous:
                return
            do_work()
        """, ("current_user.is_anonymous", "exits")),
        # a token read from the Authorization header
        ("""
        def view():
            token = request.headers.get("Authorization")
            if not token:
                return jsonify({"error": "missing"}), 403
            return jsonify(load())
        """, ("token", "rejects")),
        # a session key
        ("""
        def view():
            if "user_id" not in session:
                abort(401)
            return load()
        """, ("'user_id' in session", "rejects")),
        # g.user set by a loader (the Flask tutorial's login_required)
        ("""
        def wrapped(**kwargs):
            if g.user is None:
                return redirect(url_for("auth.login"))
            return view(**kwargs)
        """, ("g.user", "rejects")),
        # decoding a token in a try whose handlers all leave
        ("""
        def wrapped(*args):
            try:
                data = jwt.decode(token, KEY)
            except Exception:
                return {"message": "invalid"}, 401
            return f(*args)
        """, ("jwt.decode", "rejects")),
        # a bare call of a verifying function
        ("""
        def view():
            verify_jwt_in_request()
            return load()
        """, ("verify_jwt_in_request", "call")),
    ],
)
def test_guard_kinds(source: str, expected: tuple[str, str]) -> None:
    found = kinds(source)
    assert found and found[0][:2] == expected, found
    assert found[0][2] is True


@pytest.mark.parametrize(
    "source",
    [
        # a login page sends signed-in users away; everyone else reaches the form
        """
        def login():
            if current_user.is_authenticated:
                return redirect(url_for("index"))
            form = LoginForm()
            return render_template("login.html", form=form)
        """,
        # a hook that only records activity for signed-in users
        """
        def before_request():
            if current_user.is_authenticated:
                current_user.last_seen = now()
                db.session.commit()
            g.locale = get_locale()
        """,
        # a header that is not a credential
        """
        def secret(request):
            host = request.headers.get("X-Host")
            if host == "admin.localhost":
                return render(request, "secret.html")
            return render(request, "denied.html")
        """,
        # a sign-in form checking the credentials it was sent
        """
        def login():
            data = request.get_json()
            auth_user = User.query.filter_by(username=data["username"], password=data["password"]).first()
            if auth_user:
                return issue_token(auth_user)
            return {"error": "bad credentials"}, 404
        """,
        # reading the user for something else
        """
        def export():
            if current_user.get_task_in_progress("export"):
                flash("running")
            else:
                current_user.launch_task("export")
            return redirect(url_for("index"))
        """,
        # a CSRF token is not a credential
        """
        def view():
            csrf_token = request.form.get("csrf_token")
            if not csrf_token:
                return "missing", 400
            return "ok"
        """,
    ],
)
def test_not_auth_guards(source: str) -> None:
    assert not [g for g in guards(source) if g.kind in ("rejects", "exits", "wraps")], kinds(source)


def test_guard_after_work_is_not_top() -> None:
    found = guards("""
    def view(request):
        if request.method == "POST":
            Model.objects.create(name=request.POST["name"])
            return redirect("/")
        if not request.user.is_authenticated:
            return redirect("login")
        return render(request, "x.html")
    """)
    assert [g.top for g in found] == [False]


def test_hook_exemptions_are_recorded() -> None:
    found = guards("""
    def require_login():
        if request.endpoint in ("static", "auth.login"):
            return
        if not current_user.is_authenticated and request.path not in PUBLIC_PATHS:
            return redirect(url_for("auth.login"))
    """)
    assert len(found) == 1
    assert set(found[0].exempt) == {"static", "auth.login"}
    assert found[0].exempt_names == ["PUBLIC_PATHS"]


def test_inline_auth_reads_guards_from_facts() -> None:
    func = FuncFacts("v", "v", 1, 0, 1, 3, False, [], [], None)
    assert inline_auth(func) == ""
    func.guards = guards("""
    def v(request):
        if not request.user.is_authenticated:
            return redirect("login")
        return 1
    """)
    assert "request.user.is_authenticated" in inline_auth(func)


def test_middleware_passing_anonymous_requests_on_is_not_a_guard() -> None:
    assert not guards("""
    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        request.profile = load(request.user)
        return self.get_response(request)
    """)
