from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("members/<int:pk>/card/", views.member_card, name="member-card"),
]
