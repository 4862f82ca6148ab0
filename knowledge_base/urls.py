from django.urls import path

from knowledge_base.views import help_centre

app_name = "help"

urlpatterns = [
    path("", help_centre.help_root, name="root"),
    path("search/", help_centre.help_search, name="search"),
    path("search.json", help_centre.help_search_json, name="search_json"),
    path("sitemap.xml", help_centre.help_sitemap, name="sitemap"),
    path("<str:language>/", help_centre.help_home, name="home"),
    path("<str:language>/<slug:slug>/", help_centre.help_article, name="article"),
    path("<str:language>/<slug:slug>/vote/", help_centre.help_vote, name="vote"),
]
