// Journey (issue 19, point 4): the administrator invites staff from a CSV file. A file with a
// bad row is shown with every problem and cannot be confirmed; the corrected file is
// previewed (who is emailed at once, who waits for approval) and confirmed, and the
// confirmation lists them. Run with JavaScript on (axe on every page, no page errors) and
// off, each pass with its own people.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

describe('journey: inviting staff from a file', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`staff are invited from a file (${mode})`, { timeout: 240_000 }, async () => {
      const admin = app.accounts.find(a => a.role === 'admin')
      assert.ok(admin, 'the demo data has an administrator')
      const school = app.accounts.find(a => a.role === 'senco' && a.school_urn)?.school_urn
      assert.ok(school, 'the demo data has a school with a SENCO')
      const good = 'name,email,role,school\n' +
        `Nia Teacher,nia.${index}@school.example,Teacher,${school}\n` +
        `Owen Office,owen.${index}@school.example,School administrator,${school}\n`
      const bad = good + `Wyn Wizard,wyn.${index}@school.example,wizard,${school}\n`
      const file = text => ({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(text) })

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `staff-${label}-js`) }
      try {
        await step(page, `${mode} the administrator opens the upload from the users page`, async () => {
          await signIn(page, admin)
          await page.goto('/admin/users')
          await page.getByRole('link', { name: 'Invite staff from a file' }).click()
          await page.waitForURL(url => url.pathname === '/admin/users/import')
          await page.getByRole('heading', { name: 'Invite staff from a file', level: 1 }).waitFor()
          await a11y('upload')
        })

        await step(page, `${mode} a file with a bad row is refused whole`, async () => {
          await page.getByLabel('Staff CSV file').setInputFiles(file(bad))
          await page.getByRole('button', { name: 'Upload and check' }).click()
          await page.locator('.govuk-error-summary').waitFor()
          const main = await page.locator('main').innerText()
          assert.match(main, /nobody has been invited/)
          assert.match(main, /Enter a role/)
          assert.equal(await page.getByRole('button', { name: 'Invite these staff' }).count(), 0)
          await a11y('refused')
          await page.getByRole('link', { name: 'Upload a corrected file' }).click()
          await page.waitForURL(url => url.pathname === '/admin/users/import')
        })

        await step(page, `${mode} the corrected file is previewed and confirmed`, async () => {
          await page.getByLabel('Staff CSV file').setInputFiles(file(good))
          await page.getByRole('button', { name: 'Upload and check' }).click()
          await page.getByRole('heading', { name: 'Check the staff to invite', level: 1 }).waitFor()
          const preview = await page.locator('main').innerText()
          assert.match(preview, new RegExp(`nia\\.${index}@school\\.example`))
          assert.match(preview, /Waits for approval/)
          assert.match(preview, /Invitation emailed/)
          await a11y('preview')
          await page.getByRole('button', { name: 'Invite these staff' }).click()
          await page.getByRole('heading', { name: 'Staff invited', level: 1 }).waitFor()
          const done = await page.locator('main').innerText()
          assert.match(done, /2 people: 1 will be emailed an invitation now, 1 will wait for approval first/)
          assert.match(done, new RegExp(`owen\\.${index}@school\\.example`))
          await a11y('done')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
