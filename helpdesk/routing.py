from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from channels_in.webchat.consumers import WidgetConsumer
from helpdesk.inbox.consumers import AgentConsumer
from helpdesk.security.middleware import SameOriginWebSocket

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
]

# The chat widget's socket is opened from the shops' own sites: its consumer checks the Origin
# against each widget inbox's allowed origins instead of ALLOWED_HOSTS, and needs no session.
WIDGET_PREFIX = "/ws/widget/"
widget_websocket_urlpatterns = [
    path("ws/widget/<str:webhook_key>/", WidgetConsumer.as_asgi()),
]


def websocket_application():
    staff = SameOriginWebSocket(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
    widget = URLRouter(widget_websocket_urlpatterns)

    async def route(scope, receive, send):
        app = widget if scope["path"].startswith(WIDGET_PREFIX) else staff
        return await app(scope, receive, send)

    return route
