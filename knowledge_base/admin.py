from django.contrib import admin

from knowledge_base.models import Article, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category", "published", "updated_at"]
    list_filter = ["language", "published", "category"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
