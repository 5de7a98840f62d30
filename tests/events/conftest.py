from tests.refunds.conftest import finance as finance
from tests.returns.conftest import customer as customer
from tests.returns.conftest import order as order
