"""Site settings for Pelican (declarative: no logic here). See README, "Configuration"."""

AUTHOR = "The Larkspur team"
SITENAME = "Larkspur Analytics"
SITESUBTITLE = "Notes from the team behind Larkspur, and the conversations with our customers"
SITEURL = "http://127.0.0.1:8000"  # absolute origin, no trailing slash; production: `cluetrain build --site-url`
SITE_DESCRIPTION = ("Product news, engineering notes and customer stories from Larkspur Analytics, "
                    "with the discussions they started.")

PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
# Comment and feedback files are data for the plugins, never articles, pages or static files.
ARTICLE_EXCLUDES = ["comments", "feedback"]
PAGE_EXCLUDES = ["comments", "feedback"]
STATIC_EXCLUDES = ["comments", "feedback"]

ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"
AUTHOR_URL = "authors/{slug}/"
AUTHOR_SAVE_AS = "authors/{slug}/index.html"
DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "404"]
ARCHIVES_SAVE_AS = "archives/index.html"
ARCHIVES_URL = "archives/"
TAGS_URL = "tags/"
CATEGORIES_URL = "categories/"
AUTHORS_URL = "authors/"
TAGS_SAVE_AS = "tags/index.html"
CATEGORIES_SAVE_AS = "categories/index.html"
AUTHORS_SAVE_AS = "authors/index.html"
YEAR_ARCHIVE_URL = "archives/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}/index.html"
DEFAULT_PAGINATION = 10
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/categories/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tags/{slug}.atom.xml"
AUTHOR_FEED_ATOM = "feeds/authors/{slug}.atom.xml"
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 20

# Our plugins carry a "cluetrain_" prefix so an installed pelican-sitemap, pelican-search
# or pelican-seo can never shadow them.
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["cluetrain_comments", "cluetrain_seo", "cluetrain_feedback", "cluetrain_search", "cluetrain_community"]

# --- comments (cluetrain_comments) ---
COMMENTS_SERVICE_URL = ""  # base URL of the comments service; "" means the same origin
COMMENTS_CLOSE_AFTER_DAYS = 0  # 0 keeps threads open until a post says "Comments: closed"
COMMENTS_ON_PAGES = False  # pages get a thread only with "Comments: open"
COMMENTS_FEED_ATOM = "feeds/comments/{thread}.atom.xml"
COMMENTS_FEED_ALL_ATOM = "feeds/comments.atom.xml"
COMMENTS_FEED_MAX_ITEMS = 50
COMMENTS_MANIFEST = "threads.json"

# --- crawlers (cluetrain_seo) ---
SITEMAP_SAVE_AS = "sitemap.xml"
ROBOTS_SAVE_AS = "robots.txt"

# Escape every template value by default: visitor names and text must never go out raw.
JINJA_ENVIRONMENT = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "extensions": [],
                     "auto_reload": False}  # each build makes new environments: no need to stat templates on every use

DELETE_OUTPUT_DIRECTORY = False
RELATIVE_URLS = False
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
# Pelican reads and rewrites its content cache on every build: gzip cost 0.12 s of a cached 500-post build.
GZIP_CACHE = False
