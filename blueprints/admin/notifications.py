"""Administration: how email deliveries are going, and the ones that failed.

Kept apart from routes.py; it registers its pages on the admin blueprint.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from models import Delivery, DeliveryStatus, Role, db
from services import outbox
from services.channels import configured_channels
from services.dates import now_utc
from services.notification_texts import render

from ..common import ConfirmForm, page_arg, role_required
from .routes import bp


@bp.route("/notifications")
@role_required(Role.ADMIN)
def notifications():
    """Deliveries by state, and the failed ones with their last error, latest first."""
    page = db.paginate(outbox.deliveries_query(DeliveryStatus.FAILED), page=page_arg(), per_page=30,
                       error_out=False)
    return render_template(
        "admin/notifications.html", page=page, counts={s.value: n for s, n in outbox.status_counts().items()},
        titles={d.id: render(d.notification).title for d in page.items}, form=ConfirmForm(),
        channels=[c.name for c in configured_channels()], config=current_app.config,
    )


@bp.route("/notifications/<int:delivery_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def retry_delivery(delivery_id: int):
    """Try a failed delivery again from now, with a fresh set of tries."""
    delivery = db.get_or_404(Delivery, delivery_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outbox.retry(delivery, now=now_utc())
    db.session.commit()
    flash(_("The email to %(address)s will be tried again.", address=delivery.address), "success")
    return redirect(url_for(".notifications"))
